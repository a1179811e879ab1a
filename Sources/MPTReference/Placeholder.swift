// MPTReference
