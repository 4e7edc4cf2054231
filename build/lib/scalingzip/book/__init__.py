"""What the book's build and prose need; no science module imports it.

* :mod:`~scalingzip.book.labpages`, :mod:`~scalingzip.book.launch`, :mod:`~scalingzip.book.htmlfixes`,
  :mod:`~scalingzip.book.search` - Sphinx extensions named in ``_config.yml``: each lab rendered as
  its students see it, launch buttons only where a repository is set, HTML that loads with no
  error in a browser, a search index without the folded solutions.
* :mod:`~scalingzip.book.report` - numbers formatted for the prose, and ``glue_value`` to glue them.
* :mod:`~scalingzip.book.plots` - the course's figure style.
"""
