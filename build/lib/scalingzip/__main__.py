"""``python -m scalingzip COMMAND ...``: the course's command line (:func:`scalingzip.cli.main`).

Commands:
    compress IN OUT      compress a file (--mode: mixing [default], lm, lm-online, ...; --list).
    decompress IN OUT    decompress a file made by compress.
    train-lm [OUT]       train the lm mode's model on the course corpus and save it.
    sweep STUDY          run a registered scaling study (``sweep --help`` lists them), skipping recorded runs.
    assign [LAB ...]     write each lab's student notebook and autograder zip (under _build/assignments).
    grade LAB FILES      grade submitted notebooks offline with a lab's autograder zip.
    bench NAME           print a benchmark table measured on this machine (``bench --list``).
"""

import sys

from scalingzip.cli import main

if __name__ == "__main__":
    sys.exit(main())
