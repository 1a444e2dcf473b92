scontrol show job 30

# captured: 2026-12-04T14:46:16Z
# exit code: 0
# took: 245 ms
# slurm: slurm-wlm 26.05.5, nodes: 1
# as: alab (uid 4242) on cluster autolab2605
