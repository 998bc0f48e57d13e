"""feedscrub"""
