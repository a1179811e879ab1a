import MPTCLI

AllocatorTuning.reuseLargeBuffers()
ConvertCommand.main()
