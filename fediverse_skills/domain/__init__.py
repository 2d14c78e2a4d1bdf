"""The product's rules as plain Python over plain data. Imports only the standard library."""
