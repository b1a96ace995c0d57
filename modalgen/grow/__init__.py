"""Stage 4: put files in place: `new` moves a staged tree; add/set/update merge three ways."""
