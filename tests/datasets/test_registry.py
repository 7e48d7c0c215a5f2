"""The dataset registry."""
import pytest

from graphseg.data import DATASETS, build_dataset


def test_registry_errors(tmp_path):
    assert set(DATASETS) >= {'digits', 'cityscapes', 'camvid', 'voc', 'pascal_context', 'ade20k',
                             'deepglobe_roads', 'saliency'}
    with pytest.raises(ValueError, match="dataset 'cityscapes' needs data.root"):
        build_dataset('cityscapes', None, 'train')
    with pytest.raises(ValueError, match="dataset 'camvid' takes no argument 'sizee'"):
        build_dataset('camvid', str(tmp_path), 'train', sizee=3)
    assert len(build_dataset('digits', None, 'val', num_samples=3)) == 3
