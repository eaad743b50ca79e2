"""The bear classifier (grizzly / black / teddy): the training side of Lesson 2.

One concept per file, in the order they build on each other (none imports a later one):

- images.py        open any photo as RGB; the eval and train transforms
- model.py         pretrained backbone + head (new, or ImageNet's rows for our labels); layer groups for discriminative lrs
- decision.py      the answer: a label, "none of these" or "not sure" (per-label thresholds from the validation split)
- data.py          DataConfig; label folders or cleaned.csv -> verified, seeded stratified split (or a source
                   held out) -> datasets; negatives (photos of no label) in two halves
- checkpoint.py    save/load model + labels + preprocessing + config in one file (the lesson's export)
- features.py      the frozen body's activations for every photo, cached on disk
- schedule.py      the one-cycle curves (lr and momentum) as plain functions
- loop.py          fit_one_cycle (AdamW + OneCycleLR), evaluate, predict, ChannelsLast, FrozenBodyHead
- interpretation.py  confusion matrix, per-class recall, most confused pairs, top losses (pure functions)
- report.py        JSON + PNG report folder for every run; publishing into docs/assets/

The commands, which only compose the above (`python -m training.bears COMMAND --help`):

- download.py      fetch URL lists into label folders (parallel, verified, resumable)
- train.py         head on precomputed activations, then the unfrozen net (+ WiSE-FT); TrainConfig, train()
- holdout.py       `holdout`: the same training once per photo source, validated on the source left out
- lr_finder.py     the range test (exponentially growing lr, smoothed loss, suggestion) and `lr-find`
- interpret.py     `interpret`: a checkpoint's predictions on its validation split or on all photos
- logits.py        the shipped model's logits (numbers only) for the "none of these" explorable
- suspects.py      every photo ranked by out-of-fold predictions + the ImageNet head -> suspects.json
- clean.py         keep / delete / relabel the top losses -> cleaned.csv
- progressive.py   progressive resizing: train small, continue larger from that checkpoint
- data_size.py     error rate against training photos per label, validation set fixed
- lr_sweep.py      `lr-sweep`: the head trained at each lr of a grid, beside the finder's readings
- augment_figure.py  the training transform shown on drawn pictures (no photos)
- experiments.py   every published report, as a table of experiments (`reports`)
- cli.py           `python -m training.bears download|lr-find|lr-sweep|train|holdout|interpret|suspects|clean|reports|augment-figure`

Options: training/options.py (every command); paths: training/paths.py.
"""
