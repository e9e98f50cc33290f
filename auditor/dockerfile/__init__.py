"""Static checks of Dockerfiles for data a layer keeps after a later instruction hides it."""
