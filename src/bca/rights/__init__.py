"""A person's rights over their data: what is left of a user (residue), erasure, export
(issue 27). Reads the declarations of ``bca.core.personal`` that every domain makes."""
