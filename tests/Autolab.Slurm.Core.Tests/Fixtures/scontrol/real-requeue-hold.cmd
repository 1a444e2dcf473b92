scontrol show job 12
# captured: 2026-12-01T04:43:04Z
# exit code: 0
# took: 16 ms
# slurm: slurm-wlm 22.05.8, nodes: 3
