"""Runs of one pack trained side by side, one seed each: every run finishes with its own seed, the
pack's head seed and its own record, and their mean goes back as one result that lists them."""

from __future__ import annotations

import json
import shutil

import pytest
import torch
from safetensors.torch import load_file

from qa_desktop.training.device_bundle import add_windows, pack_seed
from qa_desktop.training.device_result import read_returned
from qa_desktop.training.side_by_side import main


def test_runs_with_their_own_seeds_train_at_once_and_go_back_as_one_soup(english_style, windows_of_seed, tmp_path,
                                                                          capsys):
    root, _base, plan = english_style
    packed, seeds, out = tmp_path / "pack", tmp_path / "seeds", tmp_path / "out"
    shutil.copytree(root / "pack", packed)
    add_windows(packed, windows_of_seed(99))
    own = pack_seed(plan)
    main([str(packed), "--seeds", "3", "4", "--windows-seeds", str(own), "99", "--minutes", "30", "--root", str(seeds),
          "--device", "cpu", "--soup-to", str(out)])

    printed = capsys.readouterr().out
    assert f"seed 3 (unanswerables drawn with seed {own}): F1" in printed
    assert "seed 4 (unanswerables drawn with seed 99): F1" in printed
    records = [json.loads((seeds / f"r{s}" / "training_run.json").read_text()) for s in (3, 4)]
    assert [r["hyperparameters"]["seed"] for r in records] == [3, 4]
    assert [r["device_windows"]["seed"] for r in records] == [own, 99]
    assert {r["hyperparameters"]["head_seed"] for r in records} == {own}
    assert all(r["selection"]["questions"] > 0 for r in records)
    first, second = (load_file(str(seeds / f"w{s}" / "run" / "final" / "model.safetensors")) for s in (3, 4))
    head = next(k for k in first if k.startswith("qa_outputs") and k.endswith("weight"))
    assert not torch.equal(first[head], second[head])  # the seeds made different runs

    returned = read_returned(sorted(out.glob("weights-*.safetensors")))
    torch.testing.assert_close(returned[head], ((first[head] + second[head]) / 2).to(torch.float16))
    assert any(k.endswith("word_embeddings.weight") for k in returned)  # trained embeddings travel
    soup = json.loads((out / "training_run.json").read_text())["soup"]
    assert [(i["seed"], i["head_seed"], i["windows_seed"]) for i in soup] == [(3, own, own), (4, own, 99)]
    assert sorted(p.name for p in out.glob("record-*.json")) == ["record-s3.json", "record-s4.json"]


def test_a_run_that_fails_is_named_and_leaves_no_soup(english_style, tmp_path, capsys):
    root, _base, _plan = english_style
    with pytest.raises(SystemExit, match="no soup"):
        main([str(root / "pack"), "--seeds", "5", "--minutes", "30", "--root", str(tmp_path / "seeds"),
              "--device", "cpu", "--soup-to", str(tmp_path / "out"), "--extra", "--no-such-setting"])
    assert "seed 5: did not finish" in capsys.readouterr().out
    assert not (tmp_path / "out").exists()
