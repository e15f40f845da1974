"""e-gorod: the publishing pipeline of the International Assembly of Capitals and Large Cities.

The flow of data follows the modules: settings → content → model → renderers → output.
"""
__version__ = "0.1.0"
