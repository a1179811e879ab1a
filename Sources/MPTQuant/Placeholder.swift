// MPTQuant
