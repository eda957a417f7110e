"""A Babel extraction method for Python that reads the syntax tree (the .cfg files in app/translations name it).

Babel's own Python extractor reads tokens: it misses a marked key nested inside another keyword's call
(`InvalidInput("validation.failed", fields={"day": [N_("field.bad_date")]})`) and takes `message["late"]` for a
call of message(). This one finds every call of a keyword by name with a literal first argument, at any depth.
"""

from __future__ import annotations

import ast
import io
import tokenize
from collections.abc import Collection, Iterator
from typing import IO, Any


def extract_python(
    fileobj: IO[bytes], keywords: Collection[str], comment_tags: Collection[str], options: dict[str, Any]
) -> Iterator[tuple[int, str, str, list[str]]]:
    """Yield (line, keyword, key, translator comments) for each keyword(<string literal>, …) call."""
    source = fileobj.read().decode(options.get("encoding", "utf-8"))
    comments = _translator_comments(source, comment_tags)
    for node in ast.walk(ast.parse(source)):
        if (
            isinstance(node, ast.Call)
            and isinstance(node.func, ast.Name)
            and node.func.id in keywords
            and node.args
            and isinstance(node.args[0], ast.Constant)
            and isinstance(node.args[0].value, str)
        ):
            yield node.lineno, node.func.id, node.args[0].value, comments.get(node.lineno - 1, [])


def _translator_comments(source: str, comment_tags: Collection[str]) -> dict[int, list[str]]:
    """Comment blocks that start with a tag ("TRANSLATORS:"), by the line they end on."""
    blocks: dict[int, list[str]] = {}
    current: list[str] = []
    last_line = 0
    for token in tokenize.generate_tokens(io.StringIO(source).readline):
        if token.type != tokenize.COMMENT:
            continue
        text = token.string.lstrip("#").strip()
        line = token.start[0]
        if current and line == last_line + 1:
            current.append(text)
        elif any(text.startswith(tag) for tag in comment_tags):
            current = [text]
        else:
            current = []
        last_line = line
        if current:
            blocks[line] = list(current)
    return blocks
