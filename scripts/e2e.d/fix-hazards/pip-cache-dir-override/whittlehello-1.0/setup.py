from setuptools import setup

setup(name="whittlehello", version="1.0", py_modules=["whittlehello"])
