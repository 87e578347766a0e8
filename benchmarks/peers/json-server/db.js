// json-server's database for benchmarks/http_bench.py. Given as a .js file, json-server 0.17.4 keeps it in
// memory only (lowdb's Memory adapter): creates are never written to disk, and every start begins empty.
module.exports = () => ({ "patient-contexts": [] });
