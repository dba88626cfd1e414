#!/usr/bin/env python3
"""After near_ties.py: at the voxels where vibeseg's and nnU-Net's labels differ, nnU-Net's own top-2
log-ratio ln(p1/p2) (= the difference of its two largest float16 logits) and the Gaussian weight
sum n that nnU-Net 2.8.1 accumulates there in float16 (compute_gaussian, value_scaling_factor 10,
its smallest weights are float16 subnormals), rebuilt with nnU-Net's own crop_to_nonzero,
compute_steps_for_sliding_window and compute_gaussian.
Usage: near_ties_fp16.py WORK   (WORK as for near_ties.py, after it ran)"""
import numpy as np, nibabel as nib, json, torch
from nnunetv2.inference.sliding_window_prediction import compute_gaussian, compute_steps_for_sliding_window
from nnunetv2.preprocessing.cropping.cropping import crop_to_nonzero
import sys
work=sys.argv[1]
out=work+'/ties'
plans=json.load(open(work+'/model/nnUNetTrainer__nnUNetPlans__3d_fullres/plans.json'))
cfg=plans['configurations']['3d_fullres']; patch=cfg['patch_size']
img=nib.load(work+'/in/case_0000.nii.gz'); data=np.asanyarray(img.dataobj).astype(np.float32)
# nnU-Net's SimpleITK order (z,y,x); transpose_forward from plans
arr=data.transpose(2,1,0)[None]
tf=plans['transpose_forward']; arr=arr.transpose([0]+[i+1 for i in tf])
cropped,_,bbox=crop_to_nonzero(arr)
shape=cropped.shape[1:]
print('patch',patch,'cropped shape',shape,'bbox',bbox,'transpose',tf)
g=compute_gaussian(tuple(patch), sigma_scale=1./8, value_scaling_factor=10, device=torch.device('cpu'))
print('gaussian dtype',g.dtype,'min',float(g.min()),'max',float(g.max()))
steps=compute_steps_for_sliding_window(shape, patch, 0.5)
n=torch.zeros(shape,dtype=torch.half)
for sx in steps[0]:
  for sy in steps[1]:
    for sz in steps[2]:
      n[sx:sx+patch[0],sy:sy+patch[1],sz:sz+patch[2]]+=g
n=n.float().numpy()
full=np.full(arr.shape[1:],np.nan,np.float32)
full[tuple(slice(b[0],b[1]) for b in bbox)]=n
# back to NIfTI (x,y,z): undo transpose_forward then (z,y,x)->(x,y,z)
inv=np.argsort(tf); full=full.transpose(inv).transpose(2,1,0)
ours=np.asanyarray(nib.load(out+'/vibeseg.nii.gz').dataobj); theirs=np.asanyarray(nib.load(out+'/nnunet.nii.gz').dataobj)
pt=np.load(out+'/nnunet.npz')['probabilities'].transpose(0,3,2,1)
pv=np.asanyarray(nib.load(out+'/vibeseg_probs.nii.gz').dataobj); pv=np.moveaxis(pv,-1,0) if pv.shape[-1]==pt.shape[0] else pv
d=np.abs(pt-pv).max(0)
sub=6.1e-5
for name,mask in [('|dp|>1e-3',d>1e-3),('labels differ',ours!=theirs),('all in crop',~np.isnan(full))]:
  w=full[mask]; w=w[~np.isnan(w)]
  print(f"{name}: {mask.sum()} voxels; Gaussian weight sum n: median {np.median(w):.3g}, max {w.max():.3g}, fraction below fp16 normal min {np.mean(w<sub):.3f}, below 1e-2 {np.mean(w<1e-2):.3f}")
top=np.sort(pt,axis=0)
p1,p2=top[-1],top[-2]
dm=(ours!=theirs)
lr=np.log(p1[dm]/p2[dm]); w=full[dm]
order=np.argsort(lr)
print('log-ratio ln(p1/p2) at differing voxels (nnU-Net own):', np.round(np.sort(lr),5).tolist())
print('weight sums n at those (same order):', [float(f'{x:.3g}') for x in w[order]])
