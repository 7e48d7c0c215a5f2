"""Experiments built from the library: the graph-learning baselines (:mod:`.gnn_baselines`:
MNIST-superpixel graph classification at one parameter budget, HG-Conv's Table 3 swap-ins) and the
demo tour (:mod:`.demo`). Each is plain Python (configs in, rows and reports out); the ``graphseg``
verbs parse arguments and call them. Import the submodules directly
(``from graphseg.experiments.gnn_baselines import LAYERS``)."""
