"""The labs in a classroom: otter-grader masters parsed, released to students and graded offline.

* :mod:`~scalingzip.classroom.assignments` - the master format (autograded and written questions),
  the book's view of a master, and what a student must never see;
* :mod:`~scalingzip.classroom.markdown` - MyST turned into the plain markdown JupyterLab renders, its
  citations read from ``references.bib`` by :mod:`~scalingzip.classroom.bibtex`;
* :mod:`~scalingzip.classroom.release` - the release: one student notebook, the autograder (with the
  course's wheel, for Gradescope) and the solutions, for the CLI's ``assign`` and the book's download;
* :mod:`~scalingzip.classroom.student` - what runs in a student's kernel: the notebook finds its file;
* :mod:`~scalingzip.classroom.grading` - grading submissions one by one within time and memory limits;
* :mod:`~scalingzip.classroom.gradebook` - a class's grades, merged by student, the written answers'
  sheet, feedback and exports; the CLI's ``grade``;
* :mod:`~scalingzip.classroom.challenge` - the compression challenge: an entry scored by its decoder's
  bytes plus its compressed bytes on a hidden text, each side in a sandbox; the CLI's ``challenge``;
* :mod:`~scalingzip.classroom.leaderboard` - the challenge's board, one static HTML page from a class's
  grades; the CLI's ``leaderboard``.
"""
