"""ResUNet / HG-ResUNet: active focus steers the sampling."""
import torch

from graphseg.models import create_model


def test_active_focus_steers_the_sampling():
    model = create_model('hg_resunet18_attn', attention='object', ratio=1 / 4).eval()
    x = torch.rand(1, 3, 64, 64)
    with torch.no_grad():
        model.aux_head[2].weight.zero_()
        # foreground probability ~0: no attention
        model.aux_head[2].bias.copy_(torch.tensor([0., -20.]))
        flat = model(x)['attention']
        # foreground everywhere: uniform attention
        model.aux_head[2].bias.copy_(torch.tensor([0., 20.]))
        full = model(x)['attention']
    assert flat.shape == (1, 4, 4) and float(flat.max()) < 1e-6 and float(full.min()) > 0.99
