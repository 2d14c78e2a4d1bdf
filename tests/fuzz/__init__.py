"""Property-based fuzzing of the inbox and the JSON API through the real app."""
