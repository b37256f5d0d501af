# Every accessor of each input glTF reads the same bytes in its output (pairs: IN OUT IN OUT ...),
# the output is one self-contained buffer with embedded images, and its primitives are the input's
# (COLOR_0 may be dropped). Used by the texture and edit CLI tests.
import json, os, struct, sys
def load(path):
    data = open(path, "rb").read()
    if path.endswith(".glb"):
        n = struct.unpack_from("<I", data, 12)[0]
        doc = json.loads(data[20:20 + n])
        rest = 20 + n
        bins = [data[rest + 8: rest + 8 + struct.unpack_from("<I", data, rest)[0]]] if rest < len(data) else []
    else:
        doc = json.loads(data)
        bins = []
    buffers = [open(os.path.join(os.path.dirname(path), b["uri"]), "rb").read() if "uri" in b else bins[0] for b in doc.get("buffers", [])]
    return doc, buffers
size = {5120: 1, 5121: 1, 5122: 2, 5123: 2, 5125: 4, 5126: 4}
width = {"SCALAR": 1, "VEC2": 2, "VEC3": 3, "VEC4": 4, "MAT4": 16}
def accessor(doc, buffers, i):
    a = doc["accessors"][i]
    v = doc["bufferViews"][a["bufferView"]]
    elem = size[a["componentType"]] * width[a["type"]]
    stride = v.get("byteStride", elem)
    start = v.get("byteOffset", 0) + a.get("byteOffset", 0)
    b = buffers[v.get("buffer", 0)]
    return b"".join(b[start + k * stride: start + k * stride + elem] for k in range(a["count"]))
args = sys.argv[1:]
for src, out in zip(args[0::2], args[1::2]):
    d0, b0 = load(src)
    d1, b1 = load(out)
    assert len(d1["accessors"]) == len(d0["accessors"]), out
    for i in range(len(d0["accessors"])):
        assert accessor(d0, b0, i) == accessor(d1, b1, i), (out, "accessor", i)
    assert d1["meshes"] == d0["meshes"] or all("COLOR_0" not in p["attributes"] for m in d1["meshes"] for p in m["primitives"]), out
    assert len(d1["buffers"]) == 1 and "uri" not in d1["buffers"][0], out
    assert all("uri" not in im for im in d1["images"]), out
    print(out, ":", len(d0["accessors"]), "accessors kept byte for byte")
