#!/usr/bin/env bash
# Train the Fashion-MNIST models shipped in models/ and write their weights
# next to their model files, with coinfer train-model (each run's output goes
# to results/train-<model>.log too). One model at a time, at low priority:
#
#   scripts/train-models.sh                 every model
#   scripts/train-models.sh lenet5-fmnist   one of them (or resnet-fmnist, lenet5-exits)
#
# Each recipe names its thread count (THREADS overrides it); a run repeats
# the shipped weights bit for bit at that count on the same machine type
# (OpenBLAS picks its kernels by CPU).
# The data come from the Debian package dataset-fashion-mnist
# (scripts/install-deps.sh installs it).
set -eu
cd "$(dirname "$0")/.."
BUILD=${BUILD:-build}
THREADS=${THREADS:-}
make --no-print-directory "$BUILD/coinfer" >/dev/null
mkdir -p results

# The recipe of each model beyond what they share (SGD with momentum 0.9,
# weight decay 5e-4, batch 64, cosine learning rate, seed 1). LeNet trains
# on the images as they are (its dropout is regularisation enough: with
# augmentation it underfits); the residual network also on random flips and
# shifts.
recipe() {
    case "$1" in
        lenet5-fmnist) echo "--epochs 20 --lr 0.05 --threads ${THREADS:-1}" ;;
        resnet-fmnist) echo "--epochs 20 --lr 0.05 --augment --threads ${THREADS:-2}" ;;
        # LeNet-5 with two early exits, trained jointly (each exit's loss weight 1).
        lenet5-exits) echo "--epochs 20 --lr 0.05 --threads ${THREADS:-1}" ;;
        *) echo "train-models: unknown model '$1' (lenet5-fmnist, resnet-fmnist, lenet5-exits)" >&2
           return 2 ;;
    esac
}

models=("$@")
[ ${#models[@]} -eq 0 ] && models=(lenet5-fmnist resnet-fmnist lenet5-exits)
for m in "${models[@]}"; do
    args=$(recipe "$m")
    # shellcheck disable=SC2086
    cmd=("$BUILD/coinfer" train-model "models/$m.xml" --data fashion-mnist
         --out "models/$m.weights" --optim sgd --momentum 0.9 --weight-decay 5e-4
         --batch 64 --schedule cosine --seed 1 $args)
    echo "train-models: ${cmd[*]}" | tee "results/train-$m.log"
    nice -n 10 "${cmd[@]}" | tee -a "results/train-$m.log"
done
