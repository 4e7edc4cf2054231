"""What the book's build and prose need; no science module imports it.

* :mod:`~scalingzip.book.labpages`, :mod:`~scalingzip.book.launch`, :mod:`~scalingzip.book.htmlfixes`,
  :mod:`~scalingzip.book.search`, :mod:`~scalingzip.book.parallel_execution` - Sphinx extensions
  named in ``_config.yml``: each lab rendered as its students see it, launch buttons only where a
  repository is set, HTML that loads with no error in a browser, a search index without the
  folded solutions (and a query splitter for Chinese), the notebooks executed side by side.
* :mod:`~scalingzip.book.editions` - the English and Chinese editions: their parity, and the
  extension that links them, shares one execution and puts the edition's words in the theme's.
* :mod:`~scalingzip.book.record` - what a build did, for the tests to check instead of building again.
* :mod:`~scalingzip.book.report` - numbers formatted for the prose, and ``glue_value`` to glue them.
* :mod:`~scalingzip.book.plots` - the course's figure style.
"""
