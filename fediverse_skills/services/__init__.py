"""Use cases. Each public function runs one transaction; only here do store and federation meet.

The handles that callers pass around are re-exported here, so that web/ needs nothing
from the layers below.
"""

from ..federation.safejson import unstorable
from ..store.db import Database, DatabaseUnavailable
from ..store.users import User

__all__ = ["Database", "DatabaseUnavailable", "User", "unstorable"]
