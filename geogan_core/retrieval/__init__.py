"""Cross-view retrieval: overhead patches and ground views in one embedding, and a memory of training places."""
