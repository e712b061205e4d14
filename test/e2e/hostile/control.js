// The control: the host page runs this slot empty. Every fixture's run is compared with this one's.
