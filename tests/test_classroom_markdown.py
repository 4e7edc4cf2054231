"""Tests of scalingzip.classroom.markdown: a lab's MyST made plain for JupyterLab.

Small literal inputs with exact expected outputs, the errors, idempotence, and every lab of the
repository converted without a trace of MyST left. Offline and fast (no Sphinx, no kernel).
"""

import copy
import re
from pathlib import Path

import nbformat
import pytest

from scalingzip.classroom.bibtex import Name, latex_to_unicode, parse_bibtex, read_bibliography
from scalingzip.classroom.markdown import MarkdownContext, plain_markdown, plain_notebook

ROOT = Path(__file__).resolve().parents[1]
LABS = sorted((ROOT / "labs").glob("lab_*.ipynb"))

BIB = parse_bibtex(r"""
% a comment line with an @ sign, outside every entry
@string{acm = "Communications of the ACM"}
@article{rissanen1978modeling,
  author  = {Rissanen, Jorma},
  title   = {Modeling by Shortest Data Description},
  journal = {Automatica}, volume = {14}, number = {5}, pages = {465--471},
  year    = 1978,
}
@book{grunwald2007minimum,
  author    = {Gr{\"u}nwald, Peter D.},
  title     = {The Minimum Description Length Principle},
  publisher = {MIT Press},
  year      = {2007},
}
@inproceedings{deletang2024language,
  author    = {Del{\'e}tang, Gr{\'e}goire and Ruoss, Anian and Duquenne, Paul-Ambroise},
  title     = {Language Modeling Is Compression},
  booktitle = {International Conference on Learning Representations},
  year      = {2024},
}
@article{witten1987arithmetic,
  author  = "Witten, Ian H. and Neal, Radford M. and Cleary, John G.",
  title   = {Arithmetic Coding for Data Compression},
  journal = acm, volume = {30}, number = {6}, pages = {520--540}, year = {1987},
  doi     = {10.1145/214762.214771},
}
@article{cleary1984data,
  author  = {Cleary, John G. and Witten, Ian H.},
  title   = {Data Compression Using Adaptive Coding},
  journal = {IEEE Transactions on Communications},
  year    = {1984},
}
@misc{cleary1984other,
  author       = {Cleary, John G. and Witten, Ian H.},
  title        = {Another Paper},
  howpublished = {\url{https://example.org/paper}},
  year         = {1984},
}
""")


def context(**kwargs) -> MarkdownContext:
    return MarkdownContext(root=ROOT, folder=ROOT / "labs", bibliography=BIB, **kwargs)


def plain(source: str, **kwargs) -> str:
    return plain_markdown(source, context=context(**kwargs))


# ---- BibTeX -------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("latex", "text"),
    [
        (r"Del{\'e}tang", "Delétang"),
        (r"Del\'{e}tang", "Delétang"),
        (r"Gr{\"u}nwald", "Grünwald"),
        (r"{G}r{\"u}nwald", "Grünwald"),
        (r"Kaiser, {\L}ukasz", "Kaiser, Łukasz"),
        (r"Beno{\^\i}t \c{C}elik", "Benoît Çelik"),
        (r"pages 1--2, and---so", "pages 1–2, and—so"),
        (r"Prediction of {English}", "Prediction of English"),
        (r"The \emph{Dive} into \texttt{constriction}", "The Dive into constriction"),
        (r"\url{https://x.org/a_b}", "https://x.org/a_b"),
        (r"The $k$-means {\&} more", "The $k$-means & more"),
    ],
)
def test_latex_to_unicode(latex, text):
    assert latex_to_unicode(latex) == text


def test_latex_to_unicode_refuses_an_unknown_command():
    with pytest.raises(ValueError, match=r"\\frobnicate"):
        latex_to_unicode(r"a \frobnicate{b}")


def test_names_are_split_as_bibtex_splits_them():
    entries = parse_bibtex(
        "@book{k, author = {de Las Casas, Diego and Aidan N. Gomez and Ludwig van Beethoven"
        " and King, Jr, Martin Luther}, title = {T}, year = {2000}}"
    )
    assert entries["k"].authors == (
        Name(first="Diego", von="de", last="Las Casas"),
        Name(first="Aidan N.", last="Gomez"),
        Name(first="Ludwig", von="van", last="Beethoven"),
        Name(first="Martin Luther", last="King", jr="Jr"),
    )
    assert entries["k"].authors[0].abbreviated() == "de Las Casas, D."
    assert BIB["deletang2024language"].authors[2].abbreviated() == "Duquenne, P.-A."


def test_bibtex_fields_macros_and_numbers():
    entry = BIB["witten1987arithmetic"]
    assert entry.kind == "article"
    assert entry.fields["journal"] == "Communications of the ACM"
    assert entry.fields["pages"] == "520–540"
    assert entry.fields["doi"] == "10.1145/214762.214771"
    assert BIB["rissanen1978modeling"].year == "1978"


@pytest.mark.parametrize(
    ("text", "message"),
    [
        ("@article{a, title = {x}}\n@article{a, title = {y}}", "used twice"),
        ("@article{a, journal = nosuchmacro}", "unknown macro 'nosuchmacro'"),
        ("@article{a, title = {x}, title = {y}}", "given twice"),
        ("@article{a, title = {unclosed}", "line 1"),
    ],
)
def test_bibtex_errors(text, message):
    with pytest.raises(ValueError, match=message):
        parse_bibtex(text)


def test_the_course_bibliography_reads():
    entries = read_bibliography(ROOT / "references.bib")
    assert entries["deletang2024language"].authors[0].surname == "Delétang"
    assert entries["grunwald2007minimum"].authors[0].last == "Grünwald"
    assert entries["hoffmann2022training"].authors[6].surname == "de Las Casas"


# ---- roles --------------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("in bits {footcite}`deletang2024language`.", "in bits (Delétang et al., 2024)."),
        ("MDL {footcite}`rissanen1978modeling,grunwald2007minimum`", "MDL (Rissanen, 1978; Grünwald, 2007)"),
        ("{cite}`rissanen1978modeling`", "(Rissanen, 1978)"),
        ("{cite:p}`rissanen1978modeling, grunwald2007minimum`", "(Rissanen, 1978; Grünwald, 2007)"),
        ("{cite:t}`rissanen1978modeling` showed", "Rissanen (1978) showed"),
        ("{cite:t}`rissanen1978modeling,grunwald2007minimum`", "Rissanen (1978) and Grünwald (2007)"),
        ("{cite:ps}`witten1987arithmetic`", "(Witten, Neal and Cleary, 1987)"),
        ("{cite:author}`witten1987arithmetic`", "Witten et al."),
        ("{cite:year}`witten1987arithmetic`", "1987"),
        ("{mod}`scalingzip.coding`", "`scalingzip.coding`"),
        ("{func}`scalingzip.compressors.lm.lm_encode`", "`scalingzip.compressors.lm.lm_encode`"),
        ("{func}`~scalingzip.compressors.lm.lm_encode`", "`lm_encode`"),
        ("{class}`the encoder <scalingzip.coding.ArithmeticEncoder>`", "`the encoder`"),
        ("{py:meth}`x.Y.z`, {attr}`a.b`, {exc}`ValueError`", "`x.Y.z`, `a.b`, `ValueError`"),
        ("{doc}`the chapter <../chapters/02_lossless_compression>`", "*the chapter*"),
        ("{doc}`../chapters/02_lossless_compression`", "*Lossless compression*"),
        ("{doc}`lab_arithmetic_coding`", "*Lab: Arithmetic coding from scratch*"),
        ("{doc}`/chapters/04_derivations`", "*Derivations*"),
        ("{ref}`the section <sec-elsewhere>`", "the section"),
        ("{math}`x^2`", "$x^2$"),
        ("{term}`entropy`, {term}`code lengths <code length>`", "entropy, code lengths"),
        ("H{sub}`2`O", "H<sub>2</sub>O"),
    ],
)
def test_roles(source, expected):
    assert plain(source) == expected


def test_citations_of_the_same_authors_and_year_get_letters():
    source = "{cite:t}`cleary1984data` and {cite:t}`cleary1984other`"
    assert plain(source) == "Cleary and Witten (1984b) and Cleary and Witten (1984a)"


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("{footcite}`nosuchkey2020`", "unknown citation key 'nosuchkey2020'"),
        ("{doc}`../chapters/no_such_chapter`", "no document '../chapters/no_such_chapter'"),
        ("{doc}`text <no_such_lab>`", "no document 'no_such_lab'"),
        ("{ref}`sec-nowhere`", "no label 'sec-nowhere'"),
        ("{eq}`eq-nowhere`", "no label 'eq-nowhere'"),
        ("{numref}`fig-nowhere`", "no label 'fig-nowhere'"),
        ("{glue:text}`n_bytes:,.0f`", r"\{glue:text\}"),
        ("{unknownrole}`x`", r"unsupported MyST role \{unknownrole\}"),
        ("{{ substitution }}", "substitution"),
    ],
)
def test_role_errors(source, message):
    with pytest.raises(ValueError, match=message):
        plain(source)


def test_ref_to_a_section_shows_its_title():
    source = "(sec-coder)=\n## The coder, {math}`O(n)`\n\nSee {ref}`sec-coder`."
    assert plain(source) == "## The coder, $O(n)$\n\nSee The coder, $O(n)$."


def test_code_is_never_converted():
    source = (
        "Call `{doc}`? No: ``{doc}`x` `` is code.\n\n"
        "```python\nprint('{doc}`../x`', \"(label)=\")\n```\n\n"
        "~~~\n```{note}\nnot a directive\n```\n~~~"
    )
    assert plain(source) == source


def test_plain_markdown_is_unchanged():
    source = (
        "# Title\n\nText with $a_{1}$ and\n\n$$\nx = \\frac{1}{2}\n$$\n\n| a | b |\n|---|---|\n| 1 | 2 |\n\n"
        "<div>html</div>\n\n- a list\n  continued\n\n> a quote\n\n```python\nx = 1\n```\n"
    )
    assert plain(source) == source


# ---- equations and targets ----------------------------------------------------------------------


def test_labelled_equations_get_tags_and_references_numbers():
    source = (
        "By {eq}`eq-b`:\n\n$$\nL = \\sum_t -\\log_2 p\n$$ (eq-a)\n\nthen\n\n(eq-b)=\n$$ H \\le L $$\n\n"
        "and $$ x $$ (eq-c)\n\n$$ y $$ (eq-c2)"
    )
    assert plain(source) == (
        "By (2):\n\n$$\nL = \\sum_t -\\log_2 p\n\\tag{1}\n$$\n\nthen\n\n$$ H \\le L \\tag{2} $$\n\n"
        "and $$ x $$ (eq-c)\n\n$$ y \\tag{3} $$"
    )


def test_equation_numbers_continue_from_the_context():
    assert plain("$$ a $$ (eq-a)\n\nsee {eq}`eq-a`", counts={"equation": 4}) == "$$ a \\tag{5} $$\n\nsee (5)"


def test_amsmath_labels_become_tags():
    source = "\\begin{align}\na &= b \\label{eq-x}\\\\\nc &= d \\label{eq-y}\n\\end{align}\n\nsee {eq}`eq-y`"
    assert plain(source) == "\\begin{align}\na &= b \\tag{1}\\\\\nc &= d \\tag{2}\n\\end{align}\n\nsee (2)"


def test_target_lines_and_comments_are_removed():
    assert plain("(sec-a)=\n# A\n\ntext\n% a comment\nmore") == "# A\n\ntext\n\nmore"
    assert plain("text\n\n(sec-end)=\n") == "text"


# ---- directives ---------------------------------------------------------------------------------


def test_exercises_are_numbered_headings_and_solutions_vanish():
    source = (
        "```{exercise}\n:label: ex-a\nWhy?\n```\n\n"
        "```{solution} ex-a\n:class: dropdown\nBecause {footcite}`nosuchkey`.\n```\n\n"
        ":::{exercise} Two-part codes\n:label: ex-b\nSee {numref}`ex-a` and {ref}`ex-b`.\n:::\n\n"
        "```{exercise}\nUnlabelled.\n```"
    )
    assert plain(source) == (
        "#### Exercise 1\n\nWhy?\n\n"
        "#### Exercise 2: Two-part codes\n\nSee Exercise 1 and Exercise 2.\n\n"
        "#### Exercise 3\n\nUnlabelled."
    )


def test_a_cell_that_is_only_a_solution_becomes_empty():
    assert plain("```{solution} ex-a\n:class: dropdown\n**Model answer.** 42\n```\n") == ""


def test_admonitions_become_quotes():
    # A dropdown stays a quote, math in it is joined onto one line, and a code fence inside needs
    # a longer outer fence (as in MyST).
    source = (
        "````{admonition} What the package does differently\n:class: dropdown\n"
        "It uses {mod}`x.y`, and\n\n$$\na = b\n$$ (eq-q)\n\n```python\nf(x)\n```\n````"
    )
    assert plain(source) == (
        "> **What the package does differently**\n>\n> It uses `x.y`, and\n>\n"
        "> $$ a = b \\tag{1} $$\n>\n> ```python\n> f(x)\n> ```"
    )


@pytest.mark.parametrize(
    ("source", "expected"),
    [
        ("```{note}\nRead this.\n```", "> **Note.** Read this."),
        (":::{warning}\nRuns code\nwith $x$.\n:::", "> **Warning.** Runs code\n> with $x$."),
        ("```{tip} On the line.\nAnd more.\n```", "> **Tip.** On the line.\n> And more."),
        ("```{seealso}\n- a list\n```", "> **See also.**\n>\n> - a list"),
        ("```{important}\nInline $a +\nb$ math.\n```", "> **Important.** Inline $a + b$ math."),
        (
            "::::{note}\n:::{hint}\nNested.\n:::\n::::",
            "> **Note.**\n>\n> > **Hint.** Nested.",
        ),
        (
            "```{note}\n---\nclass: margin\n---\nWith a YAML block.\n```",
            "> **Note.** With a YAML block.",
        ),
    ],
)
def test_named_admonitions(source, expected):
    assert plain(source) == expected


def test_footbibliography_lists_the_works_cited():
    source = "A {footcite}`witten1987arithmetic`, B {cite:t}`grunwald2007minimum`.\n\n```{footbibliography}\n```"
    assert plain(source) == (
        "A (Witten et al., 1987), B Grünwald (2007).\n\n"
        "- Grünwald, P. D. (2007). *The Minimum Description Length Principle*. MIT Press.\n"
        "- Witten, I. H., Neal, R. M., & Cleary, J. G. (1987). *Arithmetic Coding for Data Compression*. "
        "Communications of the ACM, 30(6), 520–540. <https://doi.org/10.1145/214762.214771>"
    )


def test_code_math_figure_and_image_directives():
    assert plain("```{code-block} python\n:linenos:\nx = 1\n```") == "```python\nx = 1\n```"
    assert plain("````{code} text\n```\n````") == "````text\n```\n````"
    assert plain("```{math}\n:label: eq-m\na = b\n```\n\n{eq}`eq-m`") == "$$\na = b\n\\tag{1}\n$$\n\n(1)"
    assert plain("```{math}\na = b\n```") == "$$\na = b\n$$"
    figure = "```{figure} ../_static/a.png\n:name: fig-a\n:width: 50%\nThe {math}`k` curve.\n```\n\n{numref}`fig-a`"
    assert plain(figure) == "![The $k$ curve.](../_static/a.png)\n\nFigure 1"
    assert plain("```{image} img.png\n:alt: a plot\n```") == "![a plot](img.png)"


def test_numref_with_a_format():
    source = "```{exercise}\n:label: ex-a\nQ.\n```\n\nIn {numref}`Exercise %s <ex-a>`"
    assert plain(source).endswith("In Exercise 1")


@pytest.mark.parametrize(
    ("source", "message"),
    [
        ("```{dropdown} Title\nbody\n```", r"unsupported MyST directive \{dropdown\}"),
        ("```{glue:figure} fig\n```", r"\{glue:figure\}"),
        ("```{exercise}\n:unknown: x\nQ\n```", "option :unknown: is not supported"),
        ("```{note}\nnever closed", "never closed"),
        ("```{admonition}\nno title\n```", "needs a title"),
        ("> ```{note}\n> quoted\n> ```", "block quote"),
        ("```{solution-start} ex-a\n```", "gated"),
        ("(ex-a)=\n```{exercise}\n:label: ex-a\nQ\n```", "defined twice"),
    ],
)
def test_directive_errors(source, message):
    with pytest.raises(ValueError, match=message):
        plain(source)


def test_conversion_is_idempotent():
    source = (
        "# Lab {footcite}`deletang2024language`\n\n(sec-a)=\n## Part\n\n$$\nx\n$$ (eq-a)\n\n"
        "```{exercise} Title\n:label: ex-a\nUse {eq}`eq-a` and {doc}`lab_arithmetic_coding`.\n```\n\n"
        "```{admonition} Box\n:class: dropdown\n$$\ny\n$$\n```\n\n```{footbibliography}\n```"
    )
    once = plain(source)
    assert plain(once) == once


# ---- notebooks ----------------------------------------------------------------------------------


def small_notebook():
    nb = nbformat.v4.new_notebook()
    nb.cells = [
        nbformat.v4.new_markdown_cell("Forward: {eq}`eq-b` and {numref}`ex-a`. {footcite}`deletang2024language`"),
        nbformat.v4.new_code_cell("x = 1", metadata={"mystnb": {"figure": {"name": "fig-x", "caption": "A curve."}}}),
        nbformat.v4.new_markdown_cell("$$ a $$ (eq-a)\n\n$$ b $$ (eq-b)\n\nSee {numref}`fig-x`."),
        nbformat.v4.new_markdown_cell("```{exercise}\n:label: ex-a\nQ {footcite}`grunwald2007minimum`\n```"),
        nbformat.v4.new_markdown_cell("```{solution} ex-a\n**Model answer.** {footcite}`rissanen1978modeling`\n```"),
        nbformat.v4.new_markdown_cell("## References\n\n```{footbibliography}\n```"),
    ]
    for i, cell in enumerate(nb.cells):
        cell["id"] = f"cell-{i}"
    return nb


def test_plain_notebook_numbers_across_cells(tmp_path):
    bib = tmp_path / "refs.bib"
    bib.write_text((ROOT / "references.bib").read_text(encoding="utf-8"), encoding="utf-8")
    nb = small_notebook()
    before = copy.deepcopy(nb)
    out = plain_notebook(nb, root=ROOT, folder=ROOT / "labs", bib=bib)
    assert nb == before  # the input is not changed
    assert [cell["id"] for cell in out.cells] == ["cell-0", "cell-1", "cell-1-caption", "cell-2", "cell-3", "cell-5"]
    sources = [cell.source for cell in out.cells]
    assert sources[0] == "Forward: (2) and Exercise 1. (Delétang et al., 2024)"
    assert sources[2] == "**Figure 1.** A curve."
    assert sources[3] == "$$ a \\tag{1} $$\n\n$$ b \\tag{2} $$\n\nSee Figure 1."
    assert sources[4] == "#### Exercise 1\n\nQ (Grünwald, 2007)"
    authors = [line.split(" (")[0] for line in sources[5].split("\n")[2:]]
    assert authors == [  # not Rissanen: cited only in a solution, which students never see
        (
            "- Delétang, G., Ruoss, A., Duquenne, P.-A., Catt, E., Genewein, T., Mattern, C., Grau-Moya, J., "
            "Wenliang, L. K., Aitchison, M., Orseau, L., Hutter, M., & Veness, J."
        ),
        "- Grünwald, P. D.",
    ]
    assert plain_notebook(out, root=ROOT, folder=ROOT / "labs", bib=bib) == out


def test_plain_notebook_names_the_failing_cell():
    nb = small_notebook()
    nb.cells[3].source = "{nosuchrole}`x`"
    with pytest.raises(ValueError, match=r"markdown cell 3 \(id cell-3\).*nosuchrole"):
        plain_notebook(nb, root=ROOT, folder=ROOT / "labs")
    nb = small_notebook()
    nb.cells[2].source += "\n\n$$ c $$ (eq-a)"
    with pytest.raises(ValueError, match="'eq-a' is defined twice"):
        plain_notebook(nb, root=ROOT, folder=ROOT / "labs")


# ---- the labs -----------------------------------------------------------------------------------

_ROLE = re.compile(r"\{[\w:.+-]+\}`")
_DIRECTIVE = re.compile(r"```\{|:::\{")
_TARGET = re.compile(r"^\s*\([^()\s]+\)=\s*$", re.MULTILINE)
_LABEL_TAIL = re.compile(r"\$\$[ \t]*\(([^()\s]+)\)[ \t]*$", re.MULTILINE)
_OPTION_LABEL = re.compile(r"^\s*:label:", re.MULTILINE)


@pytest.mark.parametrize("path", LABS, ids=lambda path: path.stem)
def test_every_lab_converts_to_plain_markdown(path):
    nb = nbformat.read(path, as_version=4)
    out = plain_notebook(nb, root=ROOT, folder=path.parent)
    cells = {cell["id"]: cell.source for cell in out.cells if cell.cell_type == "markdown"}
    for source in cells.values():
        for pattern in (_ROLE, _DIRECTIVE, _TARGET, _LABEL_TAIL, _OPTION_LABEL):
            assert not pattern.search(source), f"{path.name}: MyST left: {pattern.search(source).group(0)!r}"
    originals = [cell for cell in nb.cells if cell.cell_type == "markdown"]
    for cell in originals:
        if "{footbibliography}" in cell.source:
            items = [line for line in cells[cell["id"]].split("\n") if line.startswith("- ")]
            assert items, f"{path.name}: an empty reference list"
    # equations: the k-th labelled equation of the lab is \tag{k}, and every {eq} shows its number
    labels = [label for cell in originals for label in _LABEL_TAIL.findall(cell.source)]
    tags = [int(n) for source in cells.values() for n in re.findall(r"\\tag\{(\d+)\}", source)]
    assert tags == list(range(1, len(labels) + 1))
    number = {label: i + 1 for i, label in enumerate(labels)}
    for cell in originals:
        for label in re.findall(r"\{eq\}`([^`]+)`", cell.source):
            assert f"({number[label]})" in cells[cell["id"]], f"{path.name}: {{eq}}`{label}`"
    assert plain_notebook(out, root=ROOT, folder=path.parent) == out  # idempotent


def test_the_language_model_lab_before_and_after():
    nb = nbformat.read(ROOT / "labs" / "lab_lm_compressor.ipynb", as_version=4)
    out = plain_notebook(nb, root=ROOT, folder=ROOT / "labs")
    text = "\n".join(cell.source for cell in out.cells if cell.cell_type == "markdown")
    assert "in bits\n(Delétang et al., 2024)." in text
    assert "which you built yourself in *Lab: Arithmetic coding from scratch*" in text
    assert "\\tag{1}" in text and "{eq}" not in text and "(eq-lab-lm-ideal)" not in text
    assert "### Written question 1" in text, "written questions are headed markdown (otter manual questions)"


def test_a_citation_after_its_authors_names_gives_the_year_alone():
    context = MarkdownContext(root=ROOT, bibliography=read_bibliography(ROOT / "references.bib"))
    text = plain_markdown("following Hoffmann et al. {footcite}`hoffmann2022training`, and later {footcite}`hoffmann2022training`",
                          context=context)
    assert text == "following Hoffmann et al. (2022), and later (Hoffmann et al., 2022)"
