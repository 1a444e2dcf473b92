scontrol show job 30

# captured: 2026-12-04T14:48:18Z
# exit code: 0
# took: 565 ms
# slurm: slurm-wlm 24.11.5, nodes: 1
# as: alab (uid 4242) on cluster autolab2411
