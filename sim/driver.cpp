// placeholder: the driver is being written
