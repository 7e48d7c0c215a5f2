"""The graph-conv table: cartesian_pseudo against PyG's Cartesian transform."""
import torch
from torch_geometric.data import Batch


def test_cartesian_pseudo_is_pyg_cartesian_per_graph(device):
    from torch_geometric.data import Data
    from torch_geometric.transforms import Cartesian

    from graphseg.nn import cartesian_pseudo

    graphs = [
        Data(
            pos=torch.randn(5, 2, device=device) * s,
            edge_index=torch.randint(0, 5, (2, 12), device=device),
        )
        for s in (1.0, 10.0, 0.1)
    ]
    batch = Batch.from_data_list(graphs)
    got = cartesian_pseudo(batch.pos, batch.edge_index, batch.batch, 3)
    want = torch.cat([Cartesian(norm=True)(d.clone()).edge_attr for d in graphs])
    torch.testing.assert_close(got, want)
    torch.testing.assert_close(cartesian_pseudo(graphs[1].pos, graphs[1].edge_index), want[12:24])
