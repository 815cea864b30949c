// placeholder: the checker is being written
