"""A module that prints the marker of the e2e case pip-cache-dir-override."""

MARK = "pip-cache-dir-override-ok"

if __name__ == "__main__":
    print(MARK)
