"""fediverse-skills: a federated, co-created skills profile on ActivityPub."""

__version__ = "0.1.0.dev0"
