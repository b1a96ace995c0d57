from modalgen import entry

entry()
