"""wangge (网格) infrastructure shared by every service; holds no business rule."""
