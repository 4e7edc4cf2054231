"""The labs in a classroom: otter-grader masters parsed, released to students and graded offline.

* :mod:`~scalingzip.classroom.assignments` - the student view of a master, the release (student
  notebook and autograder zip), grading and the grades table; the CLI's ``assign`` and ``grade``.
"""
