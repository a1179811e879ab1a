// MPTGraph
