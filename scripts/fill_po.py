"""Fill Vietnamese translations from stdin lines "msgid<TAB>msgstr".

Usage: make messages && python scripts/fill_po.py < new-strings.tsv
Only empty entries are filled unless --overwrite is given.
"""

from __future__ import annotations

import sys

from babel.messages.pofile import read_po, write_po

PO = "inspect_app/translations/vi/LC_MESSAGES/messages.po"


def _translated(message) -> bool:
    if message.pluralizable:
        return all(message.string)
    return bool(message.string)


def main() -> int:
    overwrite = "--overwrite" in sys.argv
    pairs = {}
    for line in sys.stdin.read().splitlines():
        if "\t" in line:
            msgid, msgstr = line.split("\t", 1)
            pairs[msgid.replace("\\n", "\n")] = msgstr.replace("\\n", "\n")
    with open(PO, "rb") as fh:
        catalog = read_po(fh, locale="vi")
    filled = 0
    for message in catalog:
        key = message.id[0] if message.pluralizable else message.id
        if key in pairs and (overwrite or not _translated(message)):
            text = pairs[key]
            message.string = (text,) * catalog.num_plurals if message.pluralizable else text
            message.flags.discard("fuzzy")
            filled += 1
    with open(PO, "wb") as fh:
        write_po(fh, catalog, width=100)
    missing = [m.id for m in catalog if m.id and not _translated(m)]
    print(f"filled {filled}; still missing {len(missing)}")
    for msgid in missing:
        print("  " + repr(msgid))
    return 0


if __name__ == "__main__":
    sys.exit(main())
