"""Decision timelines of threads and corpora, and the kernel commits that merged them."""
