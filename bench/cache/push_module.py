#!/usr/bin/env python3
"""Pushes a wasme-layout image holding SIZE random bytes (with a Wasm header) to a registry
through the distribution API, and prints `<module sha256> <repo>@<manifest digest>`.
Independent of the wasme CLI so the benchmark measures only the cache."""
import hashlib, json, os, sys, urllib.request

registry, repo, size = sys.argv[1], sys.argv[2], int(sys.argv[3])
module = b"\x00asm\x01\x00\x00\x00" + os.urandom(size - 8)
config = json.dumps({"type": "envoy_proxy", "abiVersions": ["0_2_1"], "config": {"rootIds": ["bench"]}}).encode()

def digest(data):
    return "sha256:" + hashlib.sha256(data).hexdigest()

def push_blob(data):
    start = urllib.request.Request(f"http://{registry}/v2/{repo}/blobs/uploads/", method="POST")
    with urllib.request.urlopen(start) as r:
        location = r.headers["Location"]
    if location.startswith("/"):
        location = f"http://{registry}{location}"
    separator = "&" if "?" in location else "?"
    put = urllib.request.Request(f"{location}{separator}digest={digest(data)}", data=data, method="PUT",
                                 headers={"Content-Type": "application/octet-stream"})
    urllib.request.urlopen(put).close()

push_blob(config)
push_blob(module)
manifest = json.dumps({
    "schemaVersion": 2,
    "mediaType": "application/vnd.oci.image.manifest.v1+json",
    "config": {"mediaType": "application/vnd.module.wasm.config.v1+json", "digest": digest(config), "size": len(config)},
    "layers": [
        {"mediaType": "application/vnd.module.wasm.config.v1+json", "digest": digest(config), "size": len(config)},
        {"mediaType": "application/vnd.module.wasm.content.layer.v1+wasm", "digest": digest(module), "size": len(module)},
    ],
}).encode()
put = urllib.request.Request(f"http://{registry}/v2/{repo}/manifests/bench", data=manifest, method="PUT",
                             headers={"Content-Type": "application/vnd.oci.image.manifest.v1+json"})
urllib.request.urlopen(put).close()
print(hashlib.sha256(module).hexdigest(), f"{registry}/{repo}@{digest(manifest)}")
