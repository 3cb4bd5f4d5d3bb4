"""Helpers shared by the report steps of scripts/compare.sh: the CPU's name
and a table printed as aligned text or as Markdown."""

import platform
import subprocess


def cpu_model():
    """The "Model name" of lscpu, else what platform knows."""
    try:
        out = subprocess.run(["lscpu"], capture_output=True, text=True).stdout
        return next(l.split(":", 1)[1].strip() for l in out.splitlines() if l.startswith("Model name"))
    except (OSError, StopIteration):
        return platform.processor() or "unknown CPU"


def print_table(head, rows, markdown, text_columns=1):
    """Prints rows under head; in Markdown the first text_columns columns
    are left-aligned and the others right-aligned."""
    if markdown:
        print("| " + " | ".join(head) + " |")
        print("|" + "|".join(["---"] * text_columns + ["---:"] * (len(head) - text_columns)) + "|")
        for row in rows:
            print("| " + " | ".join(row) + " |")
        return
    widths = [max(len(str(x)) for x in col) for col in zip(head, *rows)]
    for row in [head] + rows:
        print("  ".join(str(x).rjust(w) for x, w in zip(row, widths)))
