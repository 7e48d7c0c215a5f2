"""Generate the API reference of graphseg from the packages' ``__all__`` at build time.

Which modules are public is discovered, not listed: every top-level module or package of
``graphseg`` (except the command line: ``cli``, ``commands``, ``__main__``) with an ``__all__``,
the submodules of a top-level package that has none (``graphseg.experiments``), every subpackage
with an ``__all__`` below a documented package (``graphseg.nn.hgconv``, ...), and the modules of
:data:`EXTRA_MODULES` that the README names as public. Each page lists every name of its module's
``__all__`` in a summary table (first sentence of each docstring); each object is described once
(autodoc), on the page of the module that holds it closest to where it is defined
(``graphseg.nn.hgconv.HGConv``, not ``graphseg.nn.HGConv``); its other public names are registered
as aliases, so that ``:class:`graphseg.nn.HGConv``` resolves and ``objects.inv`` lists every
public name. On the guide pages and notebooks, inline code that names a public object
(``superpixel_graph(...)``, ``HGConv``) links to its description.

``tests/test_docs.py`` builds the reference and checks ``objects.inv`` against ``__all__``.
"""
from __future__ import annotations

import ast
import importlib
import inspect
import pkgutil
import re
from dataclasses import dataclass
from pathlib import Path

#: Top-level names that are not library API (the ``graphseg`` command itself).
EXCLUDED_TOP_LEVEL = ('cli', 'commands', '__main__')

#: Modules that are not in a package's ``__all__`` but that the README names as public.
#: (``graphseg.engine.train`` is left out: ``graphseg.engine.train`` is the function.)
EXTRA_MODULES = ('graphseg.ops.macs', 'graphseg.ops.color', 'graphseg.engine.checkpoint',
                 'graphseg.engine.losses', 'graphseg.engine.optim', 'graphseg.engine.run_folder',
                 'graphseg.engine.runner')

#: Where the generated pages go, relative to the docs' source folder (ignored by git).
OUT_DIR = 'api'


@dataclass
class Entry:
    """One public name: ``module.name``, the object, and where its description lives."""
    module: str
    name: str
    obj: object
    kind: str            # 'class', 'function', 'data'
    canonical: str = ''  # the documented module.name that carries the description


def _has_all(modname: str) -> bool:
    return isinstance(getattr(importlib.import_module(modname), '__all__', None), (list, tuple))


def _is_package(modname: str) -> bool:
    return hasattr(importlib.import_module(modname), '__path__')


def public_modules(root: str = 'graphseg') -> list[str]:
    """The public modules of ``root``, bottom of the layout first (the order of the reference)."""
    top = importlib.import_module(root)
    found = []
    for info in pkgutil.iter_modules(top.__path__):
        if info.name.startswith('_') or info.name in EXCLUDED_TOP_LEVEL:
            continue
        modname = f'{root}.{info.name}'
        if _has_all(modname):
            found.append(modname)
        elif _is_package(modname):   # a namespace of modules (graphseg.experiments)
            pkg = importlib.import_module(modname)
            found += [f'{modname}.{i.name}' for i in pkgutil.iter_modules(pkg.__path__)
                      if not i.name.startswith('_') and _has_all(f'{modname}.{i.name}')]
    subpackages = []
    for modname in found:
        if _is_package(modname):
            subpackages += _subpackages_with_all(modname)
    mods = set(found) | set(subpackages) | set(EXTRA_MODULES)
    return sorted(mods, key=_layout_key)


def _subpackages_with_all(modname: str) -> list[str]:
    pkg = importlib.import_module(modname)
    out = []
    for info in pkgutil.iter_modules(pkg.__path__):
        sub = f'{modname}.{info.name}'
        if info.ispkg and not info.name.startswith('_') and _has_all(sub):
            out += [sub] + _subpackages_with_all(sub)
    return out


#: The layout's order, bottom up (README "Layout"); unknown modules go last, alphabetically.
LAYOUT_ORDER = ('check', 'typing', 'directions', 'distributed', 'fileio', 'ops', 'graphs', 'nn',
                'models', 'data', 'viz', 'analysis', 'evaluation', 'engine', 'experiments')


def _layout_key(modname: str):
    parts = modname.split('.')
    head = parts[1] if len(parts) > 1 else ''
    rank = LAYOUT_ORDER.index(head) if head in LAYOUT_ORDER else len(LAYOUT_ORDER)
    return (rank, head, parts[2:])


def _kind(obj) -> str:
    """``'class'``, ``'function'`` or ``'data'`` (type aliases such as ``Adj`` are data)."""
    if inspect.isclass(obj):
        return 'class'
    if inspect.isroutine(obj):
        return 'function'
    return 'data'


def _defines(modname: str, name: str) -> bool:
    """Whether the source of ``modname`` assigns ``name`` at top level."""
    mod = importlib.import_module(modname)
    try:
        tree = ast.parse(Path(inspect.getsourcefile(mod)).read_text(encoding='utf-8'))
    except (TypeError, OSError):
        return False
    for node in tree.body:
        targets = node.targets if isinstance(node, ast.Assign) else (
            [node.target] if isinstance(node, ast.AnnAssign) else [])
        if any(isinstance(t, ast.Name) and t.id == name for t in targets):
            return True
    return False


def data_source_module(modname: str, name: str) -> str | None:
    """The module (``modname`` or one below it) whose source assigns the data ``name``."""
    if _defines(modname, name):
        return modname
    mod = importlib.import_module(modname)
    if not hasattr(mod, '__path__'):
        return None
    for info in pkgutil.walk_packages(mod.__path__, prefix=f'{modname}.'):
        if _defines(info.name, name):
            return info.name
    return None


def collect(modules: list[str]) -> list[Entry]:
    """Every ``(module, name)`` of the modules' ``__all__``, each with its canonical location."""
    entries = []
    for modname in modules:
        mod = importlib.import_module(modname)
        for name in mod.__all__:
            obj = getattr(mod, name)
            entries.append(Entry(modname, name, obj, _kind(obj)))
    groups: dict[object, list[Entry]] = {}
    for e in entries:
        key = id(e.obj) if e.kind != 'data' else (e.name, id(e.obj))
        groups.setdefault(key, []).append(e)
    for group in groups.values():
        best = _canonical(group)
        for e in group:
            e.canonical = f'{best.module}.{best.name}'
    return entries


def _canonical(group: list[Entry]) -> Entry:
    """The entry closest to where the object is defined (deepest module on its path)."""
    first = group[0]
    if first.kind == 'data':
        defining = [e for e in group if data_source_module(e.module, e.name) is not None]
        pool = defining or group
        return max(pool, key=lambda e: (_depth_on_path(e, data_source_module(e.module, e.name)),
                                        -group.index(e)))
    home = getattr(first.obj, '__module__', None) or ''
    return max(group, key=lambda e: (_depth_on_path(e, home), e.module.count('.'),
                                     -group.index(e)))


def _depth_on_path(e: Entry, home: str | None) -> int:
    if home and (home == e.module or home.startswith(e.module + '.')):
        return e.module.count('.') + 1
    return 0


# ----------------------------------------------------------------------------- writing pages

def _title(text: str, char: str = '=') -> str:
    return f'{text}\n{char * len(text)}\n'


_DIRECTIVES = {'class': 'autoclass', 'function': 'autofunction', 'data': 'autodata'}
_SECTIONS = (('Classes', 'class'), ('Functions', 'function'), ('Constants', 'data'))


def _description(e: Entry) -> list[str]:
    lines = [f'.. {_DIRECTIVES[e.kind]}:: {e.name}']
    if e.kind == 'class' and getattr(e.obj, '__module__', '').startswith('graphseg.'):
        lines += ['   :members:', '   :show-inheritance:']   # not a third-party class's API
    return lines + ['']


_ROLES = {'class': 'py:class', 'function': 'py:func', 'data': 'py:data'}
#: Words after which a period does not end a sentence ("Eq. 7", "Hamaguchi et al., CVPR").
_ABBREVIATIONS = ('Eq', 'Eqs', 'al', 'e.g', 'i.e', 'Fig', 'Sec', 'App', 'Alg', 'vs', 'cf', 'etc',
                  'approx', 'no', 'resp')


def summary(e: Entry) -> str:
    """The first sentence of the object's docstring, as one line of reST (links made anonymous)."""
    if e.kind == 'data':
        from sphinx.pycode import ModuleAnalyzer
        source = data_source_module(e.module, e.name)
        doc = '\n'.join(ModuleAnalyzer.for_module(source).find_attr_docs().get(('', e.name), [])
                        ) if source else ''
    else:
        doc = inspect.getdoc(e.obj) or ''
    para = ' '.join(doc.strip().split('\n\n')[0].split())
    return re.sub(r'`_(?!_)', '`__', _first_sentence(para)) or '—'


def _first_sentence(text: str) -> str:
    """Up to the first '. ' outside inline markup and not after an abbreviation."""
    for m in re.finditer(r'\.(\s|$)', text):
        head = text[:m.start()]
        if head.count('`') % 2 or head.count('(') > head.count(')'):
            continue
        word = re.split(r'[\s(]', head)[-1]
        if word in _ABBREVIATIONS or word.endswith(_ABBREVIATIONS_DOTTED):
            continue
        return head + '.'
    return text


_ABBREVIATIONS_DOTTED = tuple(f'.{a}' for a in ('g', 'e'))


def _summary_table(entries: list[Entry], modname: str) -> list[str]:
    lines = ['.. list-table::', '   :widths: 35 65', '   :class: graphseg-summary', '']
    for e in entries:
        target = _relative(e.canonical, modname)
        lines += [f'   * - :{_ROLES[e.kind]}:`~{target}`', f'     - {summary(e)}']
    return lines + ['']


def _module_page(modname: str, entries: list[Entry]) -> str:
    """The module's docstring, a table of every name of its ``__all__``, then the descriptions."""
    own = [e for e in entries if e.canonical == f'{e.module}.{e.name}']
    other = [e for e in entries if e.canonical != f'{e.module}.{e.name}']
    by_kind = [e for _, kind in _SECTIONS for e in own if e.kind == kind]
    lines = [_title(modname), f'.. automodule:: {modname}\n   :no-members:\n',
             f'.. currentmodule:: {modname}\n', '.. rubric:: Summary\n']
    lines += _summary_table(by_kind, modname)
    if other:
        lines += [f'Also in ``{modname}.__all__``, described under the module that defines them '
                  '(the same objects):\n']
        lines += _summary_table(other, modname)
    for title, kind in _SECTIONS:
        described = [e for e in own if e.kind == kind]
        if described:
            lines += [_title(title, '-')]
            for e in described:
                lines += _description(e)
    return '\n'.join(lines)


def _relative(name: str, modname: str) -> str:
    """``graphseg.nn.hgconv.HGConv`` as seen from ``graphseg.nn``: ``hgconv.HGConv``."""
    return name[len(modname) + 1:] if name.startswith(modname + '.') else name


def _index_page(modules: list[str], entries: list[Entry]) -> str:
    counts = {m: sum(e.module == m for e in entries) for m in modules}
    lines = [_title('API reference'),
             'Generated from the docstrings of every name in each public module\'s ``__all__`` '
             f'({len(entries)} names in {len(modules)} modules, '
             f'{len({e.canonical for e in entries})} distinct objects). Modules are listed from '
             'the bottom of the layout up: each imports only modules above it in this list.\n',
             '.. list-table::', '   :header-rows: 1', '   :widths: 40 10 50', '',
             '   * - module', '     - names', '     - what it is']
    for m in modules:
        doc = (inspect.getdoc(importlib.import_module(m)) or '').strip().split('\n\n')[0]
        first = ' '.join(doc.split())
        lines += [f'   * - :mod:`{m}`', f'     - {counts[m]}',
                  f'     - {_first_sentence(first) or "—"}']
    lines += ['', '.. toctree::', '   :hidden:', '']
    lines += [f'   {m}' for m in modules] + ['']
    return '\n'.join(lines)


def write_reference(srcdir: Path, modules: list[str] | None = None) -> list[Entry]:
    """Write ``api/index.rst`` and one page per module; return the entries."""
    modules = public_modules() if modules is None else modules
    entries = collect(modules)
    out = srcdir / OUT_DIR
    files = {out / 'index.rst': _index_page(modules, entries)}
    for m in modules:
        files[out / f'{m}.rst'] = _module_page(m, [e for e in entries if e.module == m])
    stale = set(out.rglob('*.rst')) - set(files) if out.exists() else set()
    for path in stale:
        path.unlink()
    for path, text in files.items():
        path.parent.mkdir(parents=True, exist_ok=True)
        if not path.exists() or path.read_text(encoding='utf-8') != text:
            path.write_text(text, encoding='utf-8')   # unchanged pages keep their mtime
    return entries


# ----------------------------------------------------------------------------- Sphinx hooks

def _on_builder_inited(app):
    app.env.graphseg_link_targets = None
    app.env.graphseg_api_entries = [
        (e.module, e.name, e.kind, e.canonical)
        for e in write_reference(Path(app.srcdir))]


def _on_env_updated(app, env):
    """Register every non-canonical public name as an alias of its description."""
    domain = env.get_domain('py')
    entries = getattr(env, 'graphseg_api_entries', None) or [
        (e.module, e.name, e.kind, e.canonical) for e in collect(public_modules())]
    for module, name, _, canonical in entries:
        full = f'{module}.{name}'
        if full == canonical or full in domain.objects or canonical not in domain.objects:
            continue
        target = domain.objects[canonical]
        domain.objects[full] = target._replace(aliased=True)
    return []


def _on_process_docstring(app, what, name, obj, options, lines):
    """Module-level data: the ``#:`` comment where it is assigned, never its type's docstring.

    Runs before napoleon, so a comment may use Google-style sections too.
    """
    if what != 'data' or not name.startswith('graphseg.'):
        return
    modname, _, attr = name.rpartition('.')
    try:
        source = data_source_module(modname, attr)
    except ImportError:
        source = None
    doc = []
    if source is not None:
        from sphinx.pycode import ModuleAnalyzer
        doc = list(ModuleAnalyzer.for_module(source).find_attr_docs().get(('', attr), []))
    lines[:] = [line for line in doc if line is not None]


def _link_targets(entries) -> dict[str, str]:
    """Inline-code text -> the canonical name it may link to (short names only when unique)."""
    targets: dict[str, str] = {}
    short: dict[str, set[str]] = {}
    for module in {e[0] for e in entries}:
        targets[module] = module
    for module, name, _, canonical in entries:
        for full in (f'{module}.{name}', canonical):
            targets[full] = canonical
            targets[full[len('graphseg.'):]] = canonical
        short.setdefault(name, set()).add(canonical)
    for name, canonicals in short.items():
        if len(canonicals) == 1:
            targets.setdefault(name, next(iter(canonicals)))
    return targets


def _looks_like_api(text: str, called: bool) -> bool:
    """``train`` alone is a config section; ``train(...)``, ``load_image``, ``HGConv`` are names."""
    return called or '.' in text or '_' in text or any(c.isupper() for c in text)


def _on_doctree_read(app, doctree):
    """Inline code on the guide pages and notebooks that names a public object links to it."""
    from docutils import nodes
    from sphinx import addnodes
    if app.env.docname.startswith(f'{OUT_DIR}/'):
        return
    targets = getattr(app.env, 'graphseg_link_targets', None)
    if targets is None:
        targets = app.env.graphseg_link_targets = _link_targets(app.env.graphseg_api_entries)
    for node in list(doctree.findall(nodes.literal)):
        if node.get('classes') and 'xref' in node['classes']:
            continue
        if any(isinstance(p, (nodes.reference, addnodes.pending_xref, nodes.literal_block))
               for p in _parents(node)):
            continue
        text = node.astext().strip()
        called = '(' in text
        head = text.split('(')[0].strip()
        if head.endswith(('.from_conv2d', '.forward_features', '.from_resnet')):
            head = head.rsplit('.', 1)[0]
        target = targets.get(head)
        if target is None or not _looks_like_api(head, called):
            continue
        xref = addnodes.pending_xref('', refdomain='py', reftype='obj', reftarget=target,
                                     refexplicit=True, refwarn=False, refdoc=app.env.docname)
        node.replace_self(xref)
        xref += node


def _parents(node):
    node = node.parent
    while node is not None:
        yield node
        node = node.parent


def setup(app):
    app.connect('builder-inited', _on_builder_inited)
    app.connect('doctree-read', _on_doctree_read)
    app.connect('env-updated', _on_env_updated)
    app.connect('autodoc-process-docstring', _on_process_docstring, priority=400)
    return {'parallel_read_safe': True, 'parallel_write_safe': True}
