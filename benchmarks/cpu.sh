#!/usr/bin/env bash
# The CPU every benchmark names with its numbers: model name, family and model, the vector
# extensions that choose the CPU backend's code paths, and the core count (all online, whatever
# OMP_NUM_THREADS says: nproc alone honors it), on one line.
field() { grep -m1 "^$1" /proc/cpuinfo | cut -d: -f2 | xargs; }
flags=" $(field flags) "
vector=""
for flag in avx2 fma avx512f avx512bw avx512vl; do
  case "$flags" in *" $flag "*) vector="$vector $flag" ;; esac
done
cores=$(nproc --all)
echo "$(field 'model name'), family $(field 'cpu family') model $(field 'model\s'),${vector:- no avx2}, $cores cores"
