"""Constraints on text that the request schemas share (importing no web framework)."""

NOT_BLANK = r"[^\s\x1c-\x1f\x85]"
r"""``pattern`` of text that must not be blank once stripped: the document then says what is
accepted (whitespace as Python strips it, which counts a few more characters than JSON
Schema's ``\s``)."""
