"""``Data`` subclasses for image graphs whose pixel-to-node map must survive PyG batching."""
from __future__ import annotations

from typing import Any

from torch_geometric.data import Data


class PixelMapData(Data):
    r"""A :class:`~torch_geometric.data.Data` carrying ``seg`` :math:`(1, H, W)`, each pixel's node
    id.

    PyG only offsets attributes whose name contains ``"index"`` when it builds
    a :class:`~torch_geometric.data.Batch`. Here ``seg`` is offset by the number
    of nodes and concatenated along dim 0, so for a batch of equally sized
    images ``batch.seg`` is :math:`(B, H, W)` and ``batch.x[batch.seg]``
    un-pools node features to pixels.
    """

    def __inc__(self, key: str, value: Any, *args: Any, **kwargs: Any) -> Any:
        if key == 'seg':
            return self.num_nodes
        return super().__inc__(key, value, *args, **kwargs)

    def __cat_dim__(self, key: str, value: Any, *args: Any, **kwargs: Any) -> Any:
        if key == 'seg':
            return 0
        return super().__cat_dim__(key, value, *args, **kwargs)


__all__ = ['PixelMapData']
