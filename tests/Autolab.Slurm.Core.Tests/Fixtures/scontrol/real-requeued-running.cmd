scontrol show job 11
# captured: 2026-12-01T04:45:00Z
# exit code: 0
# took: 29 ms
# slurm: slurm-wlm 22.05.8, nodes: 3
