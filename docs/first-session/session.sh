export PATH=/work/main/.build/debug:$PATH
export VIBESEG_HOME=/tmp/first/home
M=/work/main/Tests/Fixtures/segment
run() { echo "\$ $*"; "$@"; echo "(exit $?)"; }
run vibeseg info scan.nii.gz
run vibeseg segment scan.nii.gz -o seg --model $M/main --roi-model $M/roi
run vibeseg segment scan.nii.gz -o seg.nii.gz --model $M/main --roi-model $M/roi --stats seg.csv --preview seg.png
run vibeseg segment scan.nii.gz -o seg.nii.gz --model $M/main --roi-model $M/roi
run vibeseg stats seg.nii.gz --labels liver,spleen --image water=scan.nii.gz
run vibeseg preview seg.nii.gz --image scan.nii.gz -o qc.png --labels liver
run vibeseg segement scan.nii.gz
