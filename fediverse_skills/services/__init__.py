"""Use cases. Each public function runs one transaction; only here do store and federation meet."""
