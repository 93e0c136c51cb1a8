"""Fits scikit-learn's KMeans on the project's own feature matrix and compares the partitions.
Usage: agreement.py PREFIX COLS K  (reads PREFIX.X.f64 and PREFIX.labels.i32 written by the bench worker)"""
import json, sys
import numpy as np
from sklearn.cluster import KMeans
from sklearn.metrics import adjusted_rand_score

prefix, cols, k = sys.argv[1], int(sys.argv[2]), int(sys.argv[3])
X = np.fromfile(prefix + ".X.f64", dtype="<f8").reshape(-1, cols)
ours = np.fromfile(prefix + ".labels.i32", dtype="<i4")
km = KMeans(k, init="k-means++", n_init=10, random_state=0).fit(X)
centers = np.array([X[ours == c].mean(axis=0) for c in range(k)])
our_inertia = float(((X - centers[ours]) ** 2).sum())
print(json.dumps({"ari": float(adjusted_rand_score(ours, km.labels_)), "sklearnInertia": float(km.inertia_), "ourInertia": our_inertia}))
