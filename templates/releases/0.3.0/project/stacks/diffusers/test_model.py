{% import "stacks/parts.jinja" as parts with context %}
"""The real code path on this CPU: a tiny Stable Diffusion pipeline built offline (random weights, no
download), laid out as the Hugging Face cache the Volume holds, loaded and run by core.py itself.

`make test-model` runs these with the stack's packages (a CPU build of torch); `make test` skips
them. The images are noise from random weights: the tests check what the code promises.
"""

import hashlib
import io
import shutil

import pytest
from conftest import check_answer

from {{ plan.package }} import core

pytestmark = [
    pytest.mark.model,
    # diffusers' Euler scheduler passes a torch tensor to np.array(), which numpy 2 warns about.
    pytest.mark.filterwarnings("ignore:__array__ implementation doesn't accept a copy keyword"),
]
MISSING = "the stack's packages are missing: run `make test-model`"

TINY_REPO = "modalgen-tiny/tiny-sd"
# Any 40-hex commit will do: the Hub never sees it.
TINY_REVISION = hashlib.sha1(TINY_REPO.encode()).hexdigest()
TINY_SIZE = 32  # pixels: the tiny VAE upsamples by 2, not 8 as Stable Diffusion's does


def build_tiny_model(folder) -> None:
    """sd-turbo's components at toy size: CLIP text encoder, UNet, VAE, Euler scheduler (6 MB)."""
    import torch
    from diffusers import (
        AutoencoderKL,
        EulerDiscreteScheduler,
        StableDiffusionPipeline,
        UNet2DConditionModel,
    )
    from tokenizers.pre_tokenizers import ByteLevel
    from transformers import CLIPTextConfig, CLIPTextModel, CLIPTokenizer

    # A byte-level vocabulary without merges: every prompt tokenizes, nothing to download.
    alphabet = sorted(ByteLevel.alphabet())
    words = [*alphabet, *(c + "</w>" for c in alphabet), "<|startoftext|>", "<|endoftext|>"]
    vocab = {word: i for i, word in enumerate(words)}
    tokenizer = CLIPTokenizer(vocab=vocab, merges=[], model_max_length=16)
    torch.manual_seed(0)
    text_encoder = CLIPTextModel(
        CLIPTextConfig(
            hidden_size=32,
            intermediate_size=37,
            num_attention_heads=4,
            num_hidden_layers=2,
            max_position_embeddings=16,
            vocab_size=len(tokenizer),
            bos_token_id=tokenizer.bos_token_id,
            eos_token_id=tokenizer.eos_token_id,
            pad_token_id=tokenizer.pad_token_id,
        )
    )
    unet = UNet2DConditionModel(
        sample_size=16,
        in_channels=4,
        out_channels=4,
        layers_per_block=1,
        block_out_channels=(32, 64),
        down_block_types=("CrossAttnDownBlock2D", "DownBlock2D"),
        up_block_types=("UpBlock2D", "CrossAttnUpBlock2D"),
        cross_attention_dim=32,
        norm_num_groups=32,
        attention_head_dim=8,
    )
    vae = AutoencoderKL(
        block_out_channels=(32, 64),
        in_channels=3,
        out_channels=3,
        down_block_types=("DownEncoderBlock2D", "DownEncoderBlock2D"),
        up_block_types=("UpDecoderBlock2D", "UpDecoderBlock2D"),
        latent_channels=4,
        norm_num_groups=32,
        sample_size=32,
    )
    scheduler = EulerDiscreteScheduler(
        beta_start=0.00085, beta_end=0.012, beta_schedule="scaled_linear", steps_offset=1
    )
    StableDiffusionPipeline(
        vae=vae,
        text_encoder=text_encoder,
        tokenizer=tokenizer,
        unet=unet,
        scheduler=scheduler,
        safety_checker=None,
        feature_extractor=None,
        requires_safety_checker=False,
    ).save_pretrained(folder)


{{ parts.cache_fixtures(["torch", "diffusers", "transformers", "PIL"], note=" at its size", patches=[("SIZE", "TINY_SIZE"), ("STEPS", "2")]) }}


def test_makes_a_png_of_the_size_asked(tiny):
    import torch
    from PIL import Image

    model = core.load_model(device="cpu")
    result = model("a lighthouse at dawn")
    check_answer(result, "a lighthouse at dawn")
    assert (result["width"], result["height"]) == (TINY_SIZE, TINY_SIZE)
    image = Image.open(io.BytesIO(result["png"]))
    image.load()  # decodes every pixel
    assert (image.format, image.mode, image.size) == ("PNG", "RGB", (TINY_SIZE, TINY_SIZE))
    assert type(model.engine.pipe).__name__ == "StableDiffusionPipeline"
    assert model.engine.pipe.unet.dtype == torch.float32  # fp32 on a CPU


def test_a_batch_answers_each_prompt(tiny):
    prompts = ["a lighthouse at dawn", "a red fox"]
    results = core.load_model(device="cpu").batch(prompts)
    for result, prompt in zip(results, prompts, strict=True):
        check_answer(result, prompt)


def test_process_loads_once_per_container(tiny):
    first, second = core.process("a lighthouse"), core.process("at dawn")
    check_answer(first, "a lighthouse")
    check_answer(second, "at dawn")
    assert core.model.cache_info().misses == 1


def test_loads_for_a_snapshot_then_moves(tiny):
    import torch

    model = core.load_model(device="cpu", target="cuda")
    assert model.engine.pipe.unet.dtype == torch.float16  # loaded on the CPU in the GPU's dtype
    assert model.to("cpu") is model


{{ parts.weights_tests() }}
