"""The bear classifier (grizzly / black / teddy): the training side of Lesson 2.

One concept per file:

- images.py      open any photo as RGB; the eval and train transforms
- model.py       pretrained backbone + new head; layer groups for discriminative lrs
- checkpoint.py  save/load model + labels + preprocessing in one file (the lesson's export)
- download.py    fetch URL lists into label folders (parallel, verified, resumable)
- data.py        label folders or cleaned.csv -> seeded stratified split -> datasets
- lr_finder.py   exponentially growing lr, smoothed loss, suggestion, weights restored
- schedule.py    the one-cycle curves (lr and momentum) as plain functions
- train.py       head on precomputed activations, then the unfrozen net, with OneCycleLR
- interpret.py   confusion matrix, per-class recall, most confused pairs, top losses
- clean.py       keep / delete / relabel the top losses -> cleaned.csv
- report.py      JSON + PNG report folder for every run
- progressive.py progressive resizing: train small, continue larger from that checkpoint
- data_size.py   error rate against training photos per label, validation set fixed
- augment_figure.py  the training transform shown on drawn pictures (no photos)
- experiments.py every published report (`reports`)
- cli.py         `python -m training.bears download|lr-find|train|interpret|clean|reports|augment-figure`
"""
